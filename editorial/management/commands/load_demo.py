from django.core.management.base import BaseCommand

from editorial.demo import PEOPLE, demo_password, load_demo


class Command(BaseCommand):
    help = (
        "Create the demo board and publish the baclofen article through the real workflow. Safe to run twice."
    )

    def handle(self, *args, **options):
        load_demo(log=self.stdout.write)
        self.stdout.write("Demo logins (fictional people), password: " + demo_password())
        for person in PEOPLE:
            self.stdout.write(f"  {person.role:<8} {person.username}")
